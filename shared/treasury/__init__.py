"""Treasury: revenue from Stripe webhooks recorded in a ledger and turned into events
(``revenue.received``, ``revenue.threshold_reached``) that the users' triggers act on."""
