"""Demo phone numbers and their E.164 form, as crm.leads.services.e164() computes it, without its cost.

e164() parses and validates every number (some 55 µs each): for the 200,000 numbers of a benchmark
seed that alone would take ten seconds. A demo number is a valid template with its last digits
redrawn, so the template is parsed once; what varies is only whether the redrawn national number is
still valid, and NumberRules answers that with phonenumbers' own rules and patterns, compiled once.
Templates whose digits do not end with their national number (rare shapes) go through e164() itself.
"""

import random
import re

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from crm.leads.services import e164

NOT_DIGIT = re.compile(r"\D")
# The number types of phonenumbers' _number_type_helper (mobile apart): a number of none is invalid.
TYPE_DESCS = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
              "fixed_line")


def _desc(desc) -> tuple[frozenset, str] | None:
    """A PhoneNumberDesc as _is_number_matching_desc reads it: its possible lengths and pattern."""
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length or ()), desc.national_number_pattern


class _Region:
    """One region's rules: its general description, and every number type's pattern in one regex
    per length (a type whose possible lengths leave a length out cannot match at that length)."""

    def __init__(self, metadata):
        self.leading = re.compile(metadata.leading_digits) if metadata.leading_digits is not None else None
        self.general = _desc(metadata.general_desc)
        types = [_desc(getattr(metadata, name)) for name in TYPE_DESCS]
        if not metadata.same_mobile_and_fixed_line_pattern:
            types.append(_desc(metadata.mobile))
        self.types = [t for t in types if t is not None]
        self.by_length: dict[int, re.Pattern | None] = {}  # compiled on first use: most regions never are
        if self.general is not None:
            self.general_pattern = re.compile(self.general[1])

    def _types_of_length(self, length: int) -> re.Pattern | None:
        if length not in self.by_length:
            patterns = [pattern for lengths, pattern in self.types if not lengths or length in lengths]
            self.by_length[length] = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        return self.by_length[length]

    def has_type(self, nsn: str) -> bool:
        """_number_type_helper(nsn) != UNKNOWN."""
        if self.general is None:
            return False
        general_lengths = self.general[0]
        if general_lengths and len(nsn) not in general_lengths:
            return False
        if self.general_pattern.fullmatch(nsn) is None:
            return False
        types = self._types_of_length(len(nsn))
        return types is not None and types.fullmatch(nsn) is not None


class NumberRules:
    """phonenumbers.is_valid_number() for the national significant numbers of one country calling code:
    the region as region_code_for_number() finds it, then a known number type for that region."""

    def __init__(self, country_code: int):
        self.regions = []
        for region in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
            metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
            if metadata is not None:
                self.regions.append(_Region(metadata))

    def valid(self, nsn: str) -> bool:
        if len(self.regions) == 1:
            return self.regions[0].has_type(nsn)
        for region in self.regions:
            if region.leading is not None:
                if region.leading.match(nsn):
                    return region.has_type(nsn)
            elif region.has_type(nsn):
                return True
        return False


_RULES: dict[int, NumberRules] = {}


def _rules(country_code: int) -> NumberRules:
    if country_code not in _RULES:
        _RULES[country_code] = NumberRules(country_code)
    return _RULES[country_code]


class PhoneTemplate:
    """A valid number as a rep typed it; variants() redraws its last `varied` digits."""

    def __init__(self, raw: str, default_region: str, varied: int):
        self.raw = raw
        self.varied = varied
        # Where the digits sit in the typed text, right to left: the ones to redraw.
        self.positions = [i for i in range(len(raw) - 1, -1, -1) if raw[i].isdigit()][:varied][::-1]
        # The typed text with a {} for each varied digit ("(802) 806-{}{}{}{}{}"), braces escaped.
        chars = [c.replace("{", "{{").replace("}", "}}") for c in raw]
        for position in self.positions:
            chars[position] = "{}"
        self.pattern = "".join(chars)
        self.variants = 10 ** varied
        self.digits_format = f"%0{varied}d"
        self.head = None  # "+<country code>", when the national number's last digits are the varied ones
        try:
            number = phonenumbers.parse(raw, default_region)
        except phonenumbers.NumberParseException:
            return
        nsn = phonenumbers.national_significant_number(number)
        if len(nsn) > varied and NOT_DIGIT.sub("", raw).endswith(nsn) and len(self.positions) == varied:
            self.rules = _rules(number.country_code)
            self.head = f"+{number.country_code}"
            self.prefix = nsn[:-varied]
            if self.e164(nsn[-varied:]) != e164(raw):
                self.head = None  # not as e164() sees it: let e164() decide every time

    def e164(self, digits: str) -> str | None:
        """The E.164 form of the variant with these last digits, or None if it is not valid."""
        if self.head is None:
            return e164(self.variant(digits))
        nsn = self.prefix + digits
        return self.head + nsn if self.rules.valid(nsn) else None

    def variant(self, digits: str) -> str:
        return self.pattern.format(*digits)

    def draw(self, rng: random.Random) -> tuple[str, str | None]:
        """A random variant and its E.164 form (None when invalid, as e164() would say)."""
        digits = self.digits_format % int(rng.random() * self.variants)
        return self.pattern.format(*digits), self.e164(digits)
