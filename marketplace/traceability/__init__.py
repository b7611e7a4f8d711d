"""Traceability: certificates (OCOP, VietGAP, organic, food safety…) and production batches (lots)
with their public trace pages, pack labels and recalls (Circular 02/2024/TT-BKHCN, TCVN 12850:2019).

Sits above orders (layer of fairs and promotion): a batch is a catalogue product's lot, and a
recall lists the order parts that received it."""
