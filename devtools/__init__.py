"""Development and test tools. Never imported by ``storefront`` or ``crm``; not part of the installed package."""
