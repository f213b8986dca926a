"""The domain models, one module per aggregate; importing this package registers them all."""

from crm.models.account import Account, Contact, company_key, email_domain, website_domain
from crm.models.activity import ACTIVITY_KINDS, PRIORITIES, Activity
from crm.models.assignment import AssignmentRule, AssignmentSettings, Queue, QueueMember
from crm.models.campaign import CAMPAIGN_STATUSES, CAMPAIGN_TYPES, Campaign
from crm.models.lead import LEAD_PICKLISTS, PICKLISTS, SALUTATIONS, Lead, LeadStatus, PicklistValue, RecentView, fold
from crm.models.merge import LeadMatchKey, LeadMerge
from crm.models.opportunity import (
    CAMPAIGN_MEMBER_STATUSES,
    CONTACT_ROLES,
    FORECAST_CATEGORIES,
    KEY_FIELDS,
    MAX_KEY_FIELDS,
    CampaignMember,
    Opportunity,
    OpportunityContactRole,
    OpportunityStageHistory,
    Pipeline,
    Stage,
)
from crm.models.user import ROLES, EndedSession, User

__all__ = [
    "ACTIVITY_KINDS", "CAMPAIGN_STATUSES", "CAMPAIGN_TYPES", "CONTACT_ROLES", "FORECAST_CATEGORIES", "KEY_FIELDS",
    "LEAD_PICKLISTS", "MAX_KEY_FIELDS", "PICKLISTS", "PRIORITIES", "ROLES", "SALUTATIONS",
    "Account", "Activity", "Campaign", "CampaignMember", "Contact", "Lead", "LeadStatus", "Opportunity",
    "OpportunityContactRole", "OpportunityStageHistory", "PicklistValue", "Pipeline", "RecentView", "Stage", "User",
    "company_key", "email_domain", "fold", "website_domain",
    "LeadMatchKey", "LeadMerge",
]
__all__ += ["AssignmentRule", "AssignmentSettings", "Queue", "QueueMember"]
__all__ += ["CAMPAIGN_MEMBER_STATUSES", "EndedSession"]

# Web-to-Lead forms and lead imports: their modules export their own names.
import crm.models.audit  # noqa: E402,F401
import crm.models.lead_import  # noqa: E402,F401
import crm.models.sales  # noqa: E402,F401
import crm.models.settings  # noqa: E402,F401
import crm.models.web_form  # noqa: E402,F401
