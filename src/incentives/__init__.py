"""incentives: sales incentive compensation and gamification."""

__version__ = "0.1.0"
