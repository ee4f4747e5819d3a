"""Business customers (KYB onboarding): create, correct, submit, and the Nuvera review workflow."""
