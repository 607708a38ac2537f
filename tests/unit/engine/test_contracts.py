"""Every built-in policy and rule passes the contract a plugin author runs on theirs."""

from __future__ import annotations

from plantao.testing import RotationPolicyContract, SchedulingRuleContract
from plantao_plugins.fair import FairPolicy
from plantao_plugins.policies import CustomPolicy, DailyPolicy, SplitPolicy, WeeklyPolicy
from plantao_plugins.rules import FairHolidays, MaxConsecutive, MinRest, RespectLeave


class TestDailyPolicy(RotationPolicyContract):
    policy = DailyPolicy()
    params = ({}, {"handoff_time": "00:00"}, {"handoff_time": "02:30"})


class TestWeeklyPolicy(RotationPolicyContract):
    policy = WeeklyPolicy()
    params = ({}, {"handoff_weekday": 6, "handoff_time": "23:30"})


class TestCustomPolicy(RotationPolicyContract):
    policy = CustomPolicy()
    params = ({}, {"length": 12, "unit": "hours"}, {"length": 3, "handoff_time": "01:30"})


class TestSplitPolicy(RotationPolicyContract):
    policy = SplitPolicy()
    params = ({}, {"business_days": [5, 6], "business_start": "02:00", "business_end": "03:00"})


class TestRespectLeave(SchedulingRuleContract):
    rule = RespectLeave()


class TestMinRest(SchedulingRuleContract):
    rule = MinRest()


class TestMaxConsecutive(SchedulingRuleContract):
    rule = MaxConsecutive()


class TestFairHolidays(SchedulingRuleContract):
    rule = FairHolidays()


class TestFairPolicy(RotationPolicyContract):
    policy = FairPolicy()
    params = ({}, {"handoff_times": ["07:00", "19:00"]}, {"handoff_times": ["02:30"], "shift_days": 7})
