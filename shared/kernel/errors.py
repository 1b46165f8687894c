"""The one error every kernel validator raises.

A person who typed a value needs to know what is wrong and which rule says so (design.md §3: field errors are
``{field, code, message, rule}``). Messages never repeat the value itself: identity numbers and contact
details are personal data that must not leak into logs or responses (W4).
"""


class InvalidValue(ValueError):
    """A value that breaks a rule from the requirements or a national standard.

    ``code`` is a stable snake_case machine code (e.g. ``check_digit``), ``message`` a plain English
    sentence for the person who entered the value, ``rule`` the requirement ID or standard that decides
    (e.g. ``R1.3`` or ``GB 11643-1999``).
    """

    def __init__(self, code: str, message: str, rule: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.rule = rule

    def __repr__(self) -> str:
        return f"InvalidValue(code={self.code!r}, message={self.message!r}, rule={self.rule!r})"

    def field_error(self, field: str) -> dict[str, str]:
        """This error as the field error a person sees (design.md §3), for the named input ``field``."""
        return {"field": field, "code": self.code, "message": self.message, "rule": self.rule}
