"""The local data flywheel: completion lifecycle tracking, records, stats, FIM export, simulation."""
