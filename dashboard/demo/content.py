"""What the demo world is made of: who, what they sell, what they write, and tiny
valid evidence files generated in code."""
from __future__ import annotations

import struct
import zlib

DEMO_PASSWORD = "demo"
MARKER_EMAIL = "manager@demo.test"  # exists once the demo has been seeded
DEMO_LOGINS = (  # one per role, as printed at start-up
    ("customer", "customer@demo.test"),
    ("creator", "creator@demo.test"),
    ("reviewer", "reviewer@demo.test"),
    ("manager", MARKER_EMAIL),
)
SECOND_REVIEWER = "reviewer2@demo.test"  # final reviews need a reviewer other than the one who decided
# Each demo person's time zone (User.time_zone): the logins in different zones, so one
# case's emails give one deadline in several local times; everyone else in turn from OTHER_ZONES.
DEMO_ZONES = {
    "customer@demo.test": "America/New_York",
    "creator@demo.test": "Europe/Paris",
    "reviewer@demo.test": "Europe/London",
    SECOND_REVIEWER: "Asia/Tokyo",
    MARKER_EMAIL: "America/Los_Angeles",
}
OTHER_ZONES = ("Europe/Berlin", "America/Chicago", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo", "UTC")
HISTORY_DAYS = 90

COMPANIES = (
    ("Northwind Academy", "USD", (("Pro membership (monthly)", 2900), ("Trading masterclass", 19900),
                                  ("1:1 coaching call", 15000))),
    ("Pixel Forge Studio", "USD", (("Lightroom preset pack", 1900), ("Procreate brush bundle", 2400),
                                   ("Portfolio review", 8900))),
    ("Cardio Club", "USD", (("Monthly training plan", 3900), ("12-week transformation program", 12900))),
    ("Signal Room", "USD", (("Premium signals (monthly)", 9900), ("VIP Discord access", 4900))),
    ("Lumen Languages", "EUR", (("Spanish A1–B1 course", 14900), ("Conversation sessions (5 pack)", 6000))),
)
EXTRA_CREATORS = (("Nora West", 0), ("Pablo Ruiz", 1), ("Dana Kim", 2), ("Omar Haddad", 3), ("Lea Fischer", 4))
FIRST = ("Ava", "Ben", "Chloe", "Diego", "Emma", "Finn", "Grace", "Hugo", "Isla", "Jonas", "Kira", "Liam", "Maya",
         "Noah", "Olivia", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wes", "Yara", "Zoe")
LAST = ("Nguyen", "Smith", "Garcia", "Müller", "Rossi", "Kowalski", "Okafor", "Tanaka", "Dubois", "Silva", "Novak",
        "Larsen", "Haddad", "Brown", "Ivanova", "Costa")

OPENING = {
    "fraudulent": ("I don't recognise this charge. I never bought {p} and nobody else uses my card.",
                   "My card was used without my permission for {p}. Please reverse it."),
    "product_not_received": ("I paid for {p} but never got access. The login link in the email does not work.",
                             "It has been over a week and {p} was never delivered. Support doesn't answer."),
    "not_as_described": ("{p} was advertised with weekly live sessions; there have been none since I joined.",
                         "The sales page promised far more than {p} contains. Half the modules are empty."),
    "product_unacceptable": ("The files in {p} are corrupted and will not open on any device.",
                             "The quality of {p} is nothing like the previews: blurry and unusable."),
    "subscription_canceled": ("I cancelled before the renewal date but was charged again for {p}.",
                              "I cancelled {p} last month (confirmation attached) and was still billed."),
}
MERCHANT_ASK = ("Could you send a screenshot of the error you see when you log in?",
                "Which email address did you use at checkout? We can't find your account.",
                "Can you tell us which modules are missing so we can check?")
CUSTOMER_REPLY = ("Here is the screenshot of the error page.", "I used this same email address at checkout.",
                  "Modules 4 to 7 are empty, and the replay links give a 404.")
DENIALS = ("Our records show the customer logged in 14 times and downloaded every file. Access log attached.",
           "The customer received access immediately after payment; see the attached delivery receipt.",
           "The renewal happened before the cancellation request, as our terms state at checkout.")
REVIEW_ASK = {"merchant": ("Please send the access log for this customer's account since the purchase.",
                           "Please share proof that the product was delivered."),
              "customer": ("Please send your bank statement line for this charge.",
                           "Please send the cancellation confirmation you mentioned.")}
NOTES = ("Checked the payment provider: no earlier disputes from this customer.",
         "This company's dispute rate is up this month; keep an eye on similar cases.",
         "Customer wrote to support twice before opening the case — looks genuine.")
APPEALS = {"customer": ("I disagree: the access log shows logins from a country I've never been to.",
                        "The decision ignores that the course content was never delivered."),
           "merchant": ("The customer used the product fully; we ask for a second look at the logs.",
                        "The refund is out of proportion: most of the program was delivered.")}
REASONS = {"refund": "The merchant could not show that the product was delivered as sold.",
           "partial": "Part of the program was unavailable for two weeks; a partial refund is fair.",
           "credit": "The product was delivered late; platform credit compensates the customer.",
           "merchant_wins": "The access logs show the customer used the product extensively."}
FINAL = {"uphold": "A second reviewer checked the evidence and agrees with the first decision.",
         "overturn": "On final review the evidence points the other way; the first decision is reversed."}
WITHDRAWALS = ("Sorted it out with the creator directly, thanks!", "My bank explained the charge; my mistake.", None)


def _png(rgb: tuple[int, int, int], width: int = 48, height: int = 32) -> bytes:
    """A tiny valid PNG: a checkerboard in `rgb` and white."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            row += bytes(rgb) if (x // 8 + y // 8) % 2 else b"\xff\xff\xff"
        rows.append(bytes(row))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))


def _pdf(lines: list[str]) -> bytes:
    """A tiny valid one-page PDF showing `lines` (ASCII)."""
    text = " ".join("(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for line in lines)
    stream = f"BT /F1 12 Tf 72 720 Td 16 TL {text} ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               "/Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def evidence(kind: str, n: int, rng) -> tuple[str, bytes]:
    """(filename, bytes) of a small, valid evidence file: png, pdf or txt."""
    if kind == "png":
        colour = rng.choice(((70, 130, 180), (200, 80, 60), (90, 160, 90), (150, 110, 200)))
        return f"screenshot-{n}.png", _png(colour)
    if kind == "pdf":
        return f"receipt-{n}.pdf", _pdf([f"Receipt {n:05d}", "Delivery confirmed", "Thank you for your order"])
    return f"chat-log-{n}.txt", (f"[support chat #{n}]\ncustomer: hello, I can't access my purchase\n"
                                 f"agent: we'll look into it\n").encode()
