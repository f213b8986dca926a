"""Translations of the values Filon ships with (statuses, stages, picklists, salutations).

Admins may rename or add values; those are shown as typed. The shipped ones are shown in the
reader's language, as Salesforce does for its standard picklist values.
"""

from flask_babel import lazy_gettext as _l

from crm.i18n import gettext

SHIPPED = {
    "Open - Not Contacted": _l("Open - Not Contacted"),
    "Working - Contacted": _l("Working - Contacted"),
    "Closed - Converted": _l("Closed - Converted"),
    "Closed - Not Converted": _l("Closed - Not Converted"),
    "Web": _l("Web"),
    "Phone Inquiry": _l("Phone Inquiry"),
    "Partner Referral": _l("Partner Referral"),
    "Purchased List": _l("Purchased List"),
    "Trade Show": _l("Trade Show"),
    "Word of mouth": _l("Word of mouth"),
    "Other": _l("Other"),
    "Agriculture": _l("Agriculture"),
    "Apparel": _l("Apparel"),
    "Banking": _l("Banking"),
    "Consulting": _l("Consulting"),
    "Education": _l("Education"),
    "Electronics": _l("Electronics"),
    "Energy": _l("Energy"),
    "Finance": _l("Finance"),
    "Healthcare": _l("Healthcare"),
    "Hospitality": _l("Hospitality"),
    "Manufacturing": _l("Manufacturing"),
    "Media": _l("Media"),
    "Retail": _l("Retail"),
    "Technology": _l("Technology"),
    "Telecommunications": _l("Telecommunications"),
    "Transportation": _l("Transportation"),
    "Hot": _l("Hot"),
    "Warm": _l("Warm"),
    "Cold": _l("Cold"),
    "Decision Maker": _l("Decision Maker"),
    "Economic Buyer": _l("Economic Buyer"),
    "Technical Buyer": _l("Technical Buyer"),
    "Evaluator": _l("Evaluator"),
    "Influencer": _l("Influencer"),
    "Business User": _l("Business User"),
    "Executive Sponsor": _l("Executive Sponsor"),
    "Prospecting": _l("Prospecting"),
    "Qualification": _l("Qualification"),
    "Needs Analysis": _l("Needs Analysis"),
    "Value Proposition": _l("Value Proposition"),
    "Id. Decision Makers": _l("Id. Decision Makers"),
    "Perception Analysis": _l("Perception Analysis"),
    "Proposal/Price Quote": _l("Proposal/Price Quote"),
    "Negotiation/Review": _l("Negotiation/Review"),
    "Closed Won": _l("Closed Won"),
    "Closed Lost": _l("Closed Lost"),
    "Price": _l("Price"),
    "Lost to Competitor": _l("Lost to Competitor"),
    "No Budget": _l("No Budget"),
    "No Decision": _l("No Decision"),
    "Timing": _l("Timing"),
    "Product Fit": _l("Product Fit"),
    "Pipeline": _l("Pipeline"),
    "Best Case": _l("Best Case"),
    "Commit": _l("Commit"),
    "Closed": _l("Closed"),
    "Omitted": _l("Omitted"),
    "Standard": _l("Standard"),
    "Mr.": _l("Mr."),
    "Ms.": _l("Ms."),
    "Mrs.": _l("Mrs."),
    "Dr.": _l("Dr."),
    "Prof.": _l("Prof."),
}


def label(value: str | None) -> str:
    """The value in the reader's language when Filon shipped it, else as stored."""
    if not value:
        return ""
    return gettext(value) if value in SHIPPED else value
