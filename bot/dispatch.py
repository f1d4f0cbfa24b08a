"""The notification outbox (SPEC §9): plan, claim, send, record.

Contract (other modules call these):
- ``plan_horizon(session, *, now, horizon)``: upsert the notifications of the coming ``horizon``.
- ``replan_meeting(session, *, meeting_id, now)`` / ``replan_action(session, *, action_id, now)``:
  after a meeting moved, was cancelled, got its deck or minutes; after an action changed.
- ``refresh(session, client, *, meeting_id=None, action_id=None, now)``: edit the messages already
  posted about a subject so they show its current state (chat.update).
- ``tick(engine, client, *, now, worker)``: plan, then claim and send what is due, once.
"""
