"""The catalog forms: a product, a price book, a price book entry, a price, and the CSV upload.

Numbers are read by crm.catalog.services (parse_tax_rate, parse_price), in the reader's notation:
the fields are text fields, and a refused value comes back beside the field.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from crm.catalog import services


def strip(value):
    return value.strip() if isinstance(value, str) else value


def optional_id(value):
    return int(value) if value not in (None, "", "None") and str(value).isdigit() else None


class ProductForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a product code.")),
                                               Length(max=services.CODE_MAX)], filters=[strip],
                       render_kw={"autocomplete": "off", "maxlength": services.CODE_MAX})
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=services.NAME_MAX)],
                       filters=[strip], render_kw={"autocomplete": "off", "maxlength": services.NAME_MAX})
    family = StringField(_l("Family"), validators=[Optional(), Length(max=services.FAMILY_MAX)], filters=[strip],
                         render_kw={"autocomplete": "off", "maxlength": services.FAMILY_MAX})
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=services.DESCRIPTION_MAX)],
                                filters=[strip], render_kw={"rows": 3})
    tax_rate = StringField(_l("Default tax rate (%)"), filters=[strip], default="0",
                           render_kw={"inputmode": "decimal", "autocomplete": "off", "maxlength": 12})
    active = BooleanField(_l("Active (can be added to lines)"), default=True)

    def validate_tax_rate(self, field):
        try:
            services.parse_tax_rate(field.data)
        except services.InvalidTaxRate as error:
            raise ValidationError(str(error.message)) from None

    def fields_data(self) -> dict:
        return {"code": self.code.data, "name": self.name.data, "family": self.family.data,
                "description": self.description.data, "tax_rate": services.parse_tax_rate(self.tax_rate.data),
                "active": self.active.data}


class PriceBookForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")),
                                               Length(max=services.BOOK_NAME_MAX)], filters=[strip],
                       render_kw={"autocomplete": "off", "maxlength": services.BOOK_NAME_MAX})
    currency = StringField(_l("Currency (ISO 4217 code)"), default="EUR",
                           filters=[strip, lambda v: v.upper() if isinstance(v, str) else v],
                           render_kw={"autocomplete": "off", "maxlength": 3, "list": "currency-codes",
                                      "autocapitalize": "characters"})
    description = StringField(_l("Description"), validators=[Optional(), Length(max=services.BOOK_DESCRIPTION_MAX)],
                              filters=[strip], render_kw={"maxlength": services.BOOK_DESCRIPTION_MAX})
    active = BooleanField(_l("Active"), default=True)

    def validate_currency(self, field):
        if field.data not in services.currencies():
            raise ValidationError(str(services.InvalidCurrency.message))

    def fields_data(self) -> dict:
        return {"name": self.name.data, "currency": self.currency.data, "description": self.description.data,
                "active": self.active.data}


class PriceForm(FlaskForm):
    price = StringField(_l("Unit price"), filters=[strip],
                        render_kw={"inputmode": "decimal", "autocomplete": "off", "maxlength": 24})

    def validate_price(self, field):
        try:
            services.parse_price(field.data)
        except services.InvalidPrice as error:
            raise ValidationError(str(error.message)) from None


class EntryForm(PriceForm):
    product_id = SelectField(_l("Product"), coerce=optional_id, choices=[],
                             validate_choice=False)

    def validate_product_id(self, field):
        if field.data is None or field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose an active product that is not in this price book yet."))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file (up to 2 MB, 5,000 rows)"), validators=[
        FileRequired(_l("Choose a CSV file.")), FileAllowed(("csv", "txt", "tsv"), _l("Choose a CSV file."))],
        render_kw={"accept": ".csv,.txt,.tsv,text/csv"})
    price_book_id = SelectField(_l("Price book for the price column"), coerce=optional_id, choices=[],
                                validate_choice=False)

    def validate_price_book_id(self, field):
        # None: the standard book.
        if field.data is not None and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose a price book."))
