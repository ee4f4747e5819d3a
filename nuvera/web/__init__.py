"""The web app: sign-in, the partner's Operations pages (their customers, payments and support tickets), Settings →
Platform → API Applications, and the Nuvera admin hub.

Server-rendered pages (Jinja2) with a little plain JavaScript, every asset served by the application itself. The
pages hold no rules of their own: every change goes through the same service functions as the management API and
the CLI (access policy, validation, audit), either through the JSON management API (`/app/api/…`, from the page's
script) or through a form handled here.
"""
