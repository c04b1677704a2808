"""The conditions writes are made under, each written once and named for
what it means. A condition that takes a value names it (`:now`, `:max`);
the part that uses it supplies the value."""

ITEM_EXISTS = "attribute_exists(PK)"
ITEM_IS_NEW = "attribute_not_exists(PK)"

# A link (flow item) nobody has used: it may still be expired.
LINK_UNUSED = f"{ITEM_EXISTS} AND attribute_not_exists(used_at)"
# A link still open: unused and not expired at `:now`.
LINK_STILL_OPEN = f"{LINK_UNUSED} AND expires_at > :now"
# A link past its end at `:now` that nobody used.
LINK_EXPIRED_UNUSED = f"{LINK_UNUSED} AND expires_at <= :now"
# Fewer than `:max` wrong codes counted on a link.
CODE_ATTEMPTS_LEFT = "(attribute_not_exists(otp_failures) OR otp_failures < :max)"

# An active account whose password is still the one just verified (`:verified`).
ACTIVE_WITH_VERIFIED_PASSWORD = "password_hash = :verified AND #status = :active"  # noqa: S105
ACTIVE_WITHOUT_PASSWORD = "attribute_not_exists(password_hash) AND #status = :active"  # noqa: S105
