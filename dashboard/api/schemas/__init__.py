"""The API's shapes, once (issue 12): pydantic v2 models that the serializers fill and
dump (`model_dump(mode="json")`), that `dashboard.validation.parse` reads requests with,
and that `dashboard.api.openapi` turns into the document's components.

- `common`    times, money, the account, page_info, the `Answer` base
- `cases`     ResolutionCenterCase and its parts, ResolutionEvent, Summary, File
- `payments`  Payment, Company, User
- `metrics`   Metrics
- `errors`    Error
- `queries`   the query parameters of the GET routes
- `bodies`    the request bodies of the routes that are not case actions
"""
