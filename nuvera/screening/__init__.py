"""Sanctions screening: FollowTheMoney data, nomenklatura logic-v2 matching, matches and dispositions."""
