"""Flows on one meeting: agenda topics, deck, minutes, approval, move, cancel (SPEC §3, §4, §7)."""
