"""The Nuvera review workflow, written once for every reviewable entity (customers, beneficiaries)."""
