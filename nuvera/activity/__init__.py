"""The activity timeline shared by customers and beneficiaries: status changes, comments, who did what."""
