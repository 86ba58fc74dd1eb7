"""The mark an erased customer's rows carry, known to every floor: an address at a domain that can never receive
mail (RFC 2606). Orders read it to keep an erased order erased when the shop pushes it again."""

ERASED_DOMAIN = "erased.invalid"


def is_erased_email(email: str) -> bool:
    return (email or "").strip().lower().endswith(f"@{ERASED_DOMAIN}")
