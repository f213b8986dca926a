"""The org-wide sharing form (admin page /admin/sharing)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

# Labels and what each mode means, as the admin reads them next to the radio buttons.
SHARING_CHOICES = [
    ("public", _l("Public: every user sees and edits every record")),
    ("private", _l("Private: reps see and edit only their own records and their queues' leads; "
                   "managers and admins see everything")),
]


class SharingForm(FlaskForm):
    sharing = RadioField(_l("Sharing"), choices=SHARING_CHOICES,
                         validators=[InputRequired(_l("Choose public or private."))])
