"""Name the outlet that published an article and find its logo (pure).

The domain is the registrable domain from the Public Suffix List (``news.bbc.co.uk`` →
``bbc.co.uk``), except that a subdomain with its own organizations file wins
(``aws.amazon.com``, as in the seed). The list is the snapshot bundled with the ``tld``
package (already needed by trafilatura via courlan); nothing is fetched at run time.
"""

from __future__ import annotations

import contextlib
import logging
import re

import idna

from ..domains import host_of, is_ip, registrable_domain
from ..models import Image, Provider
from ..taxonomy import Organization, Taxonomy

log = logging.getLogger(__name__)

LOGO_SIZE = 50
_MAX_SITE_NAME = 60
_URLISH = re.compile(r"^(https?://|www\.)|\.[a-z]{2,}$", re.IGNORECASE)


def provider_domain(url: str, taxonomy: Taxonomy) -> str:
    """The provider domain: the longest organizations entry the host is under, else eTLD+1."""
    host = host_of(url)
    org = _organization_for_host(host, taxonomy)
    return org.domain if org else registrable_domain(host)


def provider_for(
    url: str, site_name: str | None, taxonomy: Taxonomy, logo_base_url: str
) -> Provider:
    """Return the provider of an article URL: name, domain and (when known) its 50x50 logo.

    Args:
        url: the article's canonical URL.
        site_name: the page's ``og:site_name``, used when no organizations file matches.
        taxonomy: holds the organizations registry.
        logo_base_url: ``<site url><baseurl>``; logos are absolute URLs under it.
    """
    host = host_of(url)
    org = _organization_for_host(host, taxonomy)
    if org is not None:
        return Provider(name=org.name, domain=org.domain, images=(_logo(org, logo_base_url),))
    domain = registrable_domain(host)
    name = clean_site_name(site_name) or name_from_domain(domain)
    return Provider(name=name, domain=domain)


def clean_site_name(site_name: str | None) -> str | None:
    """An ``og:site_name`` fit to show, or ``None`` when empty, too long or just a URL."""
    if not site_name:
        return None
    name = " ".join(site_name.split())
    if not name or len(name) > _MAX_SITE_NAME or _URLISH.search(name):
        return None
    return name


def name_from_domain(domain: str) -> str:
    """A readable name from a domain's first label: ``the-verge.com`` → ``The Verge``."""
    if not domain or is_ip(domain) or "." not in domain:
        return domain
    label = domain.split(".", 1)[0]
    if label.startswith("xn--"):
        with contextlib.suppress(idna.IDNAError):
            label = idna.decode(label)
    words = [w for w in re.split(r"[-_]+", label) if w]
    if len(words) == 1 and len(label) <= 3 and label.isalpha():
        return label.upper()  # short labels are mostly initials: bbc, cnn, mit, wsj
    return " ".join(w[:1].upper() + w[1:] for w in words) or domain


def _organization_for_host(host: str, taxonomy: Taxonomy) -> Organization | None:
    """The registered organization whose domain is the host or its longest parent."""
    labels = host.split(".")
    for i in range(len(labels) - 1):
        org = taxonomy.organizations.get(".".join(labels[i:]))
        if org is not None:
            return org
    return None


def _logo(org: Organization, base_url: str) -> Image:
    """The 50x50 logo as an absolute URL, as the seed writes it."""
    listed = next((i for i in org.images if i.width == LOGO_SIZE and i.height == LOGO_SIZE), None)
    path = listed.url if listed else f"/assets/images/organizations/{org.domain}-50x50.jpg"
    if not path.startswith(("http://", "https://")):
        path = base_url.rstrip("/") + "/" + path.lstrip("/")
    return Image(url=path, width=LOGO_SIZE, height=LOGO_SIZE)
