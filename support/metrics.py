"""What the support app exports to Prometheus (read at each scrape of /metrics, see
accessportal.operations.metrics)."""

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from .models import SupportAccessGrant
from .selectors import active_grants


class ActiveSupportGrants:
    """Support-access grants in force now, by type: one query at each scrape (the database is the truth for
    every process, so no process has to keep a gauge up to date)."""

    def collect(self):
        family = GaugeMetricFamily(
            "accessportal_support_grants_active",
            "Support-access grants in force now, by grant type.",
            labels=["grant_type"],
        )
        counts = dict(active_grants().values_list("grant_type").annotate(n=Count("id")).order_by())
        for grant_type in SupportAccessGrant.GrantType.values:
            family.add_metric([grant_type], counts.get(grant_type, 0))
        yield family
