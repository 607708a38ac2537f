"""What a notification channel plugin implements.

A channel is declared through ``register_notification_channels`` like any
plugin.  The dispatcher calls :meth:`NotificationChannel.send` outside any
database transaction, once per delivery, with the delivery's idempotency
key: HTTP channels send it as ``Idempotency-Key``, email as ``Message-ID``,
so a receiver can drop the rare second copy sent after a dispatcher died
between sending and recording the send.
"""

# The channel API lives in :mod:`plantao.plugin_api`; this path keeps working
# for the channels written against it.
from ..plugin_api import (  # noqa: F401  (re-exported)
    MASK,
    Delivery,
    SendAttempt,
    DeliveryError,
    Message,
    NotificationChannel,
    is_masked,
    mask_secret,
)

__all__ = ["MASK", "Delivery", "SendAttempt", "DeliveryError", "Message", "NotificationChannel", "is_masked", "mask_secret"]
