"""Read models for the screens: queries that page, filter and aggregate in SQL.

They take a session and plain filter values and return rows; they know nothing of
Dash. Visibility (who may see which cases) is passed in as a WHERE clause built by
`dashboard.permissions`, so a read model can never widen what a caller sees.
"""
