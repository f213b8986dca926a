"""Forms of the opportunity's Products card: add a line, change one in place, choose the price book.

They check the shape of the input only; quantities, prices and discounts are read (in the
reader's notation, "2,5" in French) and checked by crm/sales/line_items.py, whose messages go
beside the fields.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from crm.leads.forms import strip
from crm.opportunities.forms import optional_int
from crm.sales import line_items as service

NUMBER = {"inputmode": "decimal", "autocomplete": "off"}


def number_field(label_, *validators):
    return StringField(label_, filters=[strip], validators=[*validators, Length(max=40)], render_kw=NUMBER)


class LineItemChangeForm(FlaskForm):
    """A line changed in place (prefix "li<id>": one form per row, unique ids)."""

    quantity = number_field(_l("Quantity"), InputRequired(message=_l("Enter the quantity.")))
    unit_price = number_field(_l("Unit price"), InputRequired(message=_l("Enter the unit price.")))
    discount_percent = number_field(_l("Discount (%)"))

    def error_field(self, error: service.DocumentError):
        """The field a service's refusal belongs beside."""
        return {service.InvalidUnitPrice: self.unit_price,
                service.InvalidDiscount: self.discount_percent}.get(type(error), self.quantity)


class LineItemForm(LineItemChangeForm):
    """Add a line (prefix "line"): a product of the price book; a blank unit price is the book's."""

    product_id = SelectField(_l("Product"), coerce=optional_int, choices=[], validate_choice=False,
                             validators=[InputRequired(message=_l("Choose a product."))])
    unit_price = number_field(_l("Unit price"))

    def set_choices(self, entries, currency: str) -> None:
        from crm.sales.money import money

        self.product_id.choices = [("", _l("Choose a product"))] + [
            (product.id, f"{product.name} ({product.code}) · {money(entry.unit_price, currency)}")
            for entry, product in entries]

    def validate_product_id(self, field):
        if field.data is None:
            raise ValidationError(_l("Choose a product."))

    def error_field(self, error: service.DocumentError):
        if isinstance(error, service.ProductNotInBook | service.NoPriceBook):
            return self.product_id
        return super().error_field(error)


class PriceBookForm(FlaskForm):
    price_book_id = SelectField(_l("Price book"), coerce=optional_int, choices=[], validate_choice=False,
                                validators=[InputRequired(message=_l("Choose a price book."))])

    def set_choices(self, books) -> None:
        self.price_book_id.choices = [(book.id, f"{book.name} ({book.currency})") for book in books]
