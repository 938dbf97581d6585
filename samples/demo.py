"""A small module used by ./setup.sh to show a real completion."""
from dataclasses import dataclass


@dataclass
class Rectangle:
    width: float
    height: float

    def area(self) -> float:
        """Width times height."""
        return 

    def perimeter(self) -> float:
        return 2 * (self.width + self.height)
