"""A small module used by ./setup.sh to show a real completion."""
from functools import lru_cache


@lru_cache(maxsize=None)
def fibonacci(n: int) -> int:
    """Return the n-th Fibonacci number (fibonacci(0) == 0, fibonacci(1) == 1)."""
    if n < 2:
        return n
    # Each number is the sum of the two before it.
    return 


if __name__ == "__main__":
    print(fibonacci(30))
