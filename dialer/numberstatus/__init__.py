"""Number status: pre-dial checks (`check_before_dial`) and post-dial classification (`classify_number`,
from the SIP code, special information tones and carrier announcements in English and Chinese)."""

from dialer.numberstatus.announcements import Announcement, match
from dialer.numberstatus.classify import Classification, classify_number
from dialer.numberstatus.listen import transcribe_announcement
from dialer.numberstatus.predial import PreDial, check_before_dial
from dialer.numberstatus.sit import Sit, detect_sit

__all__ = [
    "Announcement",
    "Classification",
    "PreDial",
    "Sit",
    "check_before_dial",
    "classify_number",
    "detect_sit",
    "match",
    "transcribe_announcement",
]
