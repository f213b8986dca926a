"""The account form: every field validated on the server, with a message beside it."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from crm import sharing
from crm.accounts.services import parent_allowed
from crm.extensions import db
from crm.leads.forms import http_url, optional_text, phone_field, strip, text, with_scheme
from crm.leads.labels import label
from crm.models import Account


class AccountForm(FlaskForm):
    name = text(_l("Account name"), 255, DataRequired(message=_l("Enter the account name.")),
                render_kw={"autocomplete": "organization"})
    website = StringField(_l("Website"), filters=[with_scheme], validators=[Optional(), Length(max=255), http_url],
                          render_kw={"inputmode": "url", "autocapitalize": "none", "autocomplete": "url"})
    phone = phone_field(_l("Phone"))
    industry = SelectField(_l("Industry"), choices=[], validators=[Optional()])
    owner_id = SelectField(_l("Owner"), coerce=int, choices=[], validators=[Optional()])
    # Chosen with the account typeahead (radio buttons named parent_id), never a drop-down.
    parent_id = IntegerField(_l("Parent account"), validators=[Optional()])
    billing_street = optional_text(_l("Billing street"), 255, render_kw={"autocomplete": "street-address"})
    billing_city = optional_text(_l("Billing city"), 40)
    billing_state = optional_text(_l("Billing state/province"), 80)
    billing_postal_code = optional_text(_l("Billing postal code"), 20)
    billing_country = optional_text(_l("Billing country"), 80)
    # Quotes and orders ship here; left empty, they ship to the billing address.
    shipping_street = optional_text(_l("Shipping street"), 255, render_kw={"autocomplete": "shipping street-address"})
    shipping_city = optional_text(_l("Shipping city"), 40)
    shipping_state = optional_text(_l("Shipping state/province"), 80)
    shipping_postal_code = optional_text(_l("Shipping postal code"), 20)
    shipping_country = optional_text(_l("Shipping country"), 80)
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Optional(), Length(max=32000)])

    FIELDS = ("name", "website", "phone", "industry", "owner_id")
    ADDRESS_FIELDS = ("billing_street", "billing_city", "billing_state", "billing_postal_code", "billing_country")
    SHIPPING_FIELDS = ("shipping_street", "shipping_city", "shipping_state", "shipping_postal_code", "shipping_country")

    def set_choices(self, *, industries: list[str], owners, account: Account | None = None) -> None:
        """Fill the drop-downs; a value retired by an admin stays offered on the account that has it."""
        self.account = account
        current = account.industry if account else None
        if current and current not in industries:
            industries = [*industries, current]
        self.industry.choices = [("", "—")] + [(v, label(v)) for v in industries]
        owner_choices = [(u.id, u.name) for u in owners]
        if account and account.owner and account.owner_id not in {u.id for u in owners}:
            owner_choices.append((account.owner_id, account.owner.name))
        self.owner_id.choices = owner_choices

    @property
    def parent(self) -> Account | None:
        """The chosen parent account, for showing it checked in the form."""
        if not self.parent_id.data or self.parent_id.errors:
            return None
        return db.session.get(Account, self.parent_id.data)

    def validate_parent_id(self, field):
        if field.data is None:
            return
        query = sa.select(Account.id).where(Account.id == field.data, Account.deleted_at.is_(None))
        account = getattr(self, "account", None)
        if account is None or account.parent_id != field.data:
            # Private sharing: a new parent is one the user may see (the current one stays).
            query = sharing.visible(query, Account)
        exists = db.session.scalar(query)
        if exists is None:
            raise ValidationError(_l("Choose an existing account."))
        if not parent_allowed(getattr(self, "account", None), field.data):
            raise ValidationError(_l("An account cannot be its own parent or the child of one of its own accounts."))

    def account_data(self) -> dict:
        """The submitted values for the account service (it whitelists the fields it writes)."""
        return {name: f.data for name, f in self._fields.items() if name != "csrf_token"}
