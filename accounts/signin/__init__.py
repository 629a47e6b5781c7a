"""Sign-in glue for the libraries that do the work: the allauth adapter (email through our outbox), the
django-axes lockout hooks, the middleware (time zone, required two-factor) and the audit receivers of allauth's and
axes' signals (the libraries' extension points). Rules and writes stay in ``accounts.services.signin``."""
