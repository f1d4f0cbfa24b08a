"""Every Slack identifier the bot owns: commands, action ids, callback ids, block ids.

One place, so that message builders (bot/) and listeners (handlers/) cannot drift apart.
"""

# Slash commands and shortcuts
CMD_ACTION = "/action"
CMD_COMMITTEE = "/committee"
SHORTCUT_CREATE_ACTION = "create_action_item"

# Buttons (action_id)
BTN_ACTION_DONE = "action_done"
BTN_ACTION_PROGRESS = "action_progress"
BTN_ACTION_SNOOZE = "action_snooze"  # the former select (1 bd or 1 week), still answered on old messages
BTN_ACTION_POSTPONE = "action_postpone"  # a new due date (modal)
BTN_ACTION_MUTE = "action_mute"  # mute reminders until a date (modal)
BTN_ACTION_PREVIOUS_BUSINESS_DAY = "action_previous_business_day"  # a due date on a non-business day
BTN_ACTION_REASSIGN = "action_reassign"
BTN_ADD_TOPIC = "agenda_add_topic"
BTN_DECK_SHARED = "deck_shared"
BTN_SUBMIT_MINUTES = "minutes_submit"
BTN_MINUTES_APPROVE = "minutes_approve"
BTN_MINUTES_CHANGES = "minutes_request_changes"
BTN_PICK_COMMITTEE = "pick_committee"
BTN_ADMIN_RETRY = "admin_retry"  # an admin's delivery problem message: send the failed messages again

# Modals (callback_id)
VIEW_ACTION = "action_modal"
VIEW_PROGRESS = "progress_modal"
VIEW_REASSIGN = "reassign_modal"
VIEW_POSTPONE = "postpone_modal"
VIEW_MUTE = "mute_modal"
VIEW_TOPIC = "topic_modal"
VIEW_MINUTES = "minutes_modal"
VIEW_DECK = "deck_modal"
VIEW_MINUTES_CHANGES = "minutes_changes_modal"
VIEW_MOVE = "move_modal"

# Action items: more buttons and selects (action_id)
BTN_ACTION_NEW = "action_new"  # App Home: open the action modal
BTN_ACTION_EDIT = "action_edit"
SELECT_ACTION_SNOOZE = BTN_ACTION_SNOOZE

# Input blocks of the action modals (block_id). Each names the field that domain errors
# (InvalidInput.field) point at, so a modal shows the message under the right input.
BLOCK_TITLE = "title"
BLOCK_OWNER = "owner"
BLOCK_DUE = "due"
BLOCK_UNTIL = "until"
BLOCK_PRIORITY = "priority"
BLOCK_COMMITTEE = "committee"
BLOCK_STATUS = "status"
BLOCK_PROGRESS = "progress"
BLOCK_COMMENT = "comment"
BLOCK_PICK_COMMITTEE = "pick_committee"
# The one element of each input block (action_id); block ids tell the inputs apart.
INPUT_VALUE = "value"

# Static modals (callback_id) that only show a message.
VIEW_NOTICE = "notice_modal"

# Input blocks of the meeting modals (block_id), named like the fields meeting errors point at
# (InvalidInput.field). BLOCK_TITLE and BLOCK_COMMENT above serve the topic and changes modals.
BLOCK_PRESENTER = "presenter"
BLOCK_DURATION = "duration"
BLOCK_NOTES = "notes"
BLOCK_LINK = "link"
BLOCK_SUMMARY = "summary"
BLOCK_DECISIONS = "decisions"
BLOCK_ACTIONS = "actions"
BLOCK_ATTENDEES = "attendees"
BLOCK_MEETING = "meeting"
BLOCK_DATE = "when"  # the move modal's date: errors about the new time ("when") show under it
BLOCK_TIME = "time"
