"""The quote page's forms. Amounts are text, read in the reader's notation by
crm/sales/quote_lines.py (which says what is wrong beside the field)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from crm.opportunities.forms import optional_int
from crm.sales.quote_lines import ADDRESS_LENGTHS, NOTES_MAX


class ActionForm(FlaskForm):
    """Present, accept, deny, revise, remove a line, create: only the CSRF token."""


class LineForm(FlaskForm):
    quantity = StringField(_l("Quantity"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    unit_price = StringField(_l("Unit price"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    discount_percent = StringField(_l("Discount (%)"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    tax_rate = StringField(_l("Tax rate (%)"), render_kw={"inputmode": "decimal", "autocomplete": "off"})


class AddLineForm(FlaskForm):
    """A product of the quote's price book added to a draft quote (prefix "add"). A blank unit
    price is the book's, a blank discount none; the tax rate is the product's (Change edits it)."""

    product_id = SelectField(_l("Product"), coerce=optional_int, choices=[], validate_choice=False)
    quantity = StringField(_l("Quantity"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    unit_price = StringField(_l("Unit price"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    discount_percent = StringField(_l("Discount (%)"), render_kw={"inputmode": "decimal", "autocomplete": "off"})

    def set_choices(self, entries, currency: str) -> None:
        from crm.sales.money import money

        self.product_id.choices = [("", _l("Choose a product"))] + [
            (product.id, f"{product.name} ({product.code}) · {money(entry.unit_price, currency)}")
            for entry, product in entries]


PART_LABELS = {"street": _l("Street"), "city": _l("City"), "state": _l("State/Province"),
               "postal_code": _l("Postal code"), "country": _l("Country")}


class DetailsForm(FlaskForm):
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=NOTES_MAX)], render_kw={"rows": 3})


for _kind in ("billing", "shipping"):
    for _part, _limit in ADDRESS_LENGTHS.items():
        setattr(DetailsForm, f"{_kind}_{_part}",
                StringField(PART_LABELS[_part], validators=[Optional(), Length(max=_limit)]))

ADDRESS_FIELDS = {kind: [f"{kind}_{part}" for part in ADDRESS_LENGTHS] for kind in ("billing", "shipping")}
