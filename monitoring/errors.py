"""The monitoring app's refusal codes and their HTTP statuses (registered with accounts.errors at start-up)."""

STATUS_BY_CODE = {
    # Sandbox and shared single-node clusters have no monitoring (mLab's own words are the message).
    "NOT_ELIGIBLE": 400,
    # Only the system creates, or adds members to, groups named with the reserved prefix ``mongolab_``.
    "RESERVED_GROUP_NAME": 403,
    "MONITORING_USER_ALREADY_ATTACHED": 409,
    "MONITORING_USER_NOT_ATTACHED": 404,
    "MONITORING_USER_EMAIL_TAKEN": 409,
    "MONITORING_USER_ALREADY_LINKED": 409,
    "MONITORING_USER_ALREADY_IN_GROUP": 409,
    "MONITORING_USER_NOT_IN_GROUP": 404,
    "MONITORING_GROUP_NAME_TAKEN": 409,
    "NOTHING_TO_OFFBOARD": 404,
}
