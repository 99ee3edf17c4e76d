"""What the algorithms share: the base class and output guard, parameter reading, sinks, styles,
renderings, the district index, the SCHEDULER parameter and the price sampling. No algorithm here."""
