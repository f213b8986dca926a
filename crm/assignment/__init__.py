"""Lead assignment: rules, queues and the default owner (services only; the admin pages are in crm/admin)."""
