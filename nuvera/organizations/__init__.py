"""Organizations (partner, customer platform, Nuvera admin) and their users."""
