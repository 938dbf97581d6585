from completion.budget import SpeedModel


def test_expected_and_affordable_are_consistent():
    s = SpeedModel(prompt_tps=200, gen_tps=20)
    assert s.expected_ms(200, 20) == 2000
    n = s.affordable_eval_tokens(1500, 10)
    assert n == 200 and s.expected_ms(n, 10) <= 1500
    assert s.affordable_eval_tokens(100, 10) == 0


def test_observations_move_the_estimate_and_ignore_tiny_samples():
    s = SpeedModel(prompt_tps=180, gen_tps=25)
    s.observe(evaluated=2, prompt_ms=1000, generated=1, gen_ms=1000)  # too small to trust
    assert (s.prompt_tps, s.gen_tps) == (180, 25)
    for _ in range(20):
        s.observe(evaluated=400, prompt_ms=1000, generated=40, gen_ms=1000)
    assert abs(s.prompt_tps - 400) < 5 and abs(s.gen_tps - 40) < 1


def test_affordable_generation_fits_the_budget_between_a_floor_and_the_request():
    s = SpeedModel(prompt_tps=200, gen_tps=25)
    assert s.affordable_gen_tokens(1500, eval_tokens=4, requested=64, floor=12) == 37  # (1500 - 20) ms × 25/s
    assert s.expected_ms(4, 37) <= 1500
    assert s.affordable_gen_tokens(1500, eval_tokens=4, requested=24, floor=12) == 24  # a line fits whole
    assert s.affordable_gen_tokens(1500, eval_tokens=400, requested=64, floor=12) == 12  # prompt eats it all
    assert s.affordable_gen_tokens(100, eval_tokens=0, requested=8, floor=12) == 8  # never above the request
