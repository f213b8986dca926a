"""Forms of a draft invoice: its dates, and one line's tax rate. They check the shape of the
input; the rules (due on or after issue, a rate from 0 to 100) are crm/sales/invoice_lines.py's."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length


class InvoiceDatesForm(FlaskForm):
    issue_date = DateField(_l("Issue date"), validators=[InputRequired(message=_l("Enter a date."))])
    due_date = DateField(_l("Due date"), validators=[InputRequired(message=_l("Enter a date."))])


class TaxRateForm(FlaskForm):
    # Text, not DecimalField: "5,5" is read by the service, whose message goes beside the field.
    tax_rate = StringField(_l("Tax rate (%)"), validators=[InputRequired(message=_l("Enter a tax rate.")),
                                                           Length(max=12)],
                           render_kw={"inputmode": "decimal", "autocomplete": "off", "size": 6})
