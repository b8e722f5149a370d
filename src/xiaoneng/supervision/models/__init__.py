"""The supervision room's rows: the warnings ledger (预警台账), supervision tasks (督查督办) and
accountability cases (问责), one module each."""

from xiaoneng.supervision.models.accountability import *  # noqa: F403
from xiaoneng.supervision.models.tasks import *  # noqa: F403
from xiaoneng.supervision.models.warnings import *  # noqa: F403
