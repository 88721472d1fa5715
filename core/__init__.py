"""The floor every other package stands on: the domain types the stages exchange, the clock, the
message catalogue, personal-data masking and the settings models. It imports nothing of the project
above it, and nothing heavy."""
