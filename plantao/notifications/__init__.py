"""Notifications: events, the outbox, the scheduler, the dispatcher, channels.

A change writes :mod:`~plantao.notifications.outbox` events in its own
transaction; the :mod:`~plantao.notifications.scheduler` finds time-based
events (reminders, handoffs, gaps, digests) in the materialized shifts; the
:mod:`~plantao.notifications.dispatcher` fans events out into deliveries and
hands each to a channel plugin (:mod:`~plantao.notifications.channels`).
"""
