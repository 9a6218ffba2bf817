"""Exceptions raised by everyday. Every one derives from :class:`EverydayError`.

The tree::

    EverydayError
    ├── ConfigError            bad everyday.toml, missing hub, bad setting value
    ├── FetchError             anything that stopped a download (carries the URL)
    │   ├── BlockedURLError    private/loopback/link-local address, bad scheme
    │   ├── RobotsDisallowed   robots.txt forbids the URL
    │   ├── TooLargeError      body or decompressed body over the cap
    │   ├── TooManyRedirects   redirect loop or chain over the limit
    │   ├── HTTPStatusError    4xx/5xx after retries
    │   └── TimeoutError_      connect/read timeout after retries
    ├── ModelError             a topic model that is missing, damaged or cannot be trained
    ├── ParseError             a feed, OPML, sitemap or page that cannot be parsed
    ├── RecordError            a record file that does not follow the seed format
    ├── ImageError             bytes that are not a decodable image
    ├── PublishError           a site, API, feed or newsletter file that cannot be built
    │   └── MailError          the newsletter could not be sent (publish.mail)
    ├── SecuredError           a secured value that is malformed, tampered or of unknown key
    └── StoreError             the database failed (driver errors are chained)
"""

from __future__ import annotations


class EverydayError(Exception):
    """Root of every error everyday raises on purpose."""


class ConfigError(EverydayError):
    """The hub configuration is missing or invalid."""


class FetchError(EverydayError):
    """A download failed; ``url`` names what was being fetched."""

    def __init__(self, message: str, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class BlockedURLError(FetchError):
    """The URL resolves to a private, loopback or link-local address, or has a bad scheme."""


class RobotsDisallowed(FetchError):
    """robots.txt of the host disallows our user agent for this URL."""


class TooLargeError(FetchError):
    """The response body (raw or decompressed) exceeded the configured cap."""


class TooManyRedirects(FetchError):
    """The redirect chain looped or exceeded the limit."""


class HTTPStatusError(FetchError):
    """The server answered with an error status that retries did not cure."""

    def __init__(
        self, message: str, url: str = "", status: int = 0, retry_after: float | None = None
    ) -> None:
        super().__init__(message, url)
        self.status = status
        self.retry_after = retry_after


class TimeoutError_(FetchError):  # noqa: N801 - avoid shadowing the builtin
    """The server did not answer in time, after retries."""


class ModelError(EverydayError):
    """No usable model: too few examples to train, or a missing or damaged model folder."""


class ParseError(EverydayError):
    """A feed, OPML file, sitemap or page could not be parsed."""


class RecordError(EverydayError):
    """A record file does not follow the seed format."""


class ImageError(EverydayError):
    """Bytes that were supposed to be an image could not be decoded."""


class PublishError(EverydayError):
    """A build output could not be written or named."""


class SecuredError(EverydayError):
    """A ``secured`` value is malformed, tampered with, or not sealed by a known key."""


class StoreError(EverydayError):
    """The database failed; the driver's exception is chained as ``__cause__``."""
