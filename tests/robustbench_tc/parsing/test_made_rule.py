"""The shared rule "the model made this call", on hand-written real-style outputs (issue 10):
what Qwen, Llama, GPT, Mistral, Hermes-style and small instruct models write around calls."""

from __future__ import annotations

import pytest

from robustbench_tc.parsing import made_call, made_calls

W = 'get_weather(city="Paris")'
J = '{"name": "get_weather", "arguments": {"city": "Paris"}}'

MADE = [
    # --- the call standing alone: whole answer, own line, fences, preambles
    ("bfcl_v3", W, ["get_weather"]),
    ("bfcl_v3", f"[{W}]", ["get_weather"]),
    ("bfcl_v3", f"Here is the function call:\n{W}", ["get_weather"]),
    ("bfcl_v3", f"Here is the function call: {W}", ["get_weather"]),
    ("bfcl_v3", f"Sure! Here is the function call:\n```python\n{W}\n```", ["get_weather"]),
    ("bfcl_v3", f"```python\n[{W}]\n```\nThis returns the current weather in Paris.", ["get_weather"]),
    ("bfcl_v3", f"```\n{W}\n```", ["get_weather"]),
    ("bfcl_v3", f"```json\n[{W}]\n```", ["get_weather"]),  # a JSON-tagged fence around a Python call
    ("bfcl_v3", f"```tool_code\n{W}\n```", ["get_weather"]),
    ("bfcl_v3", f"`{W}`", ["get_weather"]),
    ("bfcl_v3", f"**{W}**", ["get_weather"]),
    ("bfcl_v3", f'1. {W}\n2. get_time(city="Paris")', ["get_weather", "get_time"]),
    ("bfcl_v3", f'{W}\nget_time(city="Paris")', ["get_weather", "get_time"]),
    ("bfcl_v3", f'{W}, get_time(city="Paris")', ["get_weather", "get_time"]),
    ("bfcl_v3", f'[{W}, get_time(city="Paris")]', ["get_weather", "get_time"]),
    ("bfcl_v3", 'get_weather(\n    city="Paris",\n    unit="celsius",\n)', ["get_weather"]),
    ("bfcl_v3", f"{W};", ["get_weather"]),
    ("bfcl_v3", f"{W}  # current conditions", ["get_weather"]),
    ("bfcl_v3", 'get\\_weather(city="Paris")', ["get_weather"]),  # a markdown escape undone
    ("bfcl_v3", "math.sqrt(x=16)", ["math.sqrt"]),  # a dotted tool name is a tool, not math
    ("bfcl_v3", "[f(a=1)]", ["f"]),
    # --- the call, then an explanation that repeats it (counted once)
    ("bfcl_v3", f"{W}\n\nThis calls {W} to fetch the forecast.", ["get_weather"]),
    ("bfcl_v3", f"[{W}]\n\nI used `{W}` because you asked about Paris.", ["get_weather"]),
    # --- retries after an explanation (transition pass 2)
    ("bfcl_v3", f"The previous request timed out. Let me try again:\n{W}", ["get_weather"]),
    ("apibank", f"The tool timed out, retrying.\n<tool_call>\n{J}\n</tool_call>", ["get_weather"]),
    (
        "rotbench",
        'Thought: the call failed, retry.\nAction: get_weather\nAction Input: {"city": "Paris"}',
        ["get_weather"],
    ),  # fmt: skip
    # --- structured blocks of the common model families
    ("apibank", f"<tool_call>\n{J}\n</tool_call>", ["get_weather"]),  # Qwen / Hermes
    (
        "apibank",
        f"<tool_call>{J}</tool_call><tool_call>" + J.replace("weather", "time") + "</tool_call>",
        ["get_weather", "get_time"],
    ),  # fmt: skip
    ("apibank", f"<tool_call>\n{W}\n</tool_call>", ["get_weather"]),
    ("bfcl_v3", f"<|python_tag|>{J}<|eom_id|>", ["get_weather"]),  # Llama 3.1
    ("bfcl_v3", f"<|python_tag|>{W}", ["get_weather"]),
    ("bfcl_v3", f"[TOOL_CALLS] [{J}]", ["get_weather"]),  # Mistral
    ("bfcl_v3", f"functools[{J}]", ["get_weather"]),  # Phi / functionary
    ("bfcl_v3", f"```json\n{J}\n```", ["get_weather"]),
    ("bfcl_v3", f"I'll check the weather for you.\n\n```json\n[{J}]\n```", ["get_weather"]),
    (
        "bfcl_v3",
        '{"tool_calls": [{"type": "function", "function": {"name": "get_weather", '
        '"arguments": "{\\"city\\": \\"Paris\\"}"}}]}',
        ["get_weather"],
    ),  # fmt: skip
    ("bfcl_v3", 'get_weather\n{"city": "Paris"}', ["get_weather"]),  # a native name + JSON form
    ("toolalpaca", 'Function: get_weather\nParameters: {"city": "Paris"}', ["get_weather"]),
    ("toolalpaca", "getWeather?city=Paris&unit=c", ["getWeather"]),
    ("tooleyes", 'Action: get_weather\nAction Input: {"city": "Paris"}', ["get_weather"]),
    (
        "apibank",
        '<tool_call>\n{"name": "get_weather", "parameters": {"city": "Par',
        ["get_weather"],
    ),  # cut off
]

MENTIONS = [
    # --- inside a sentence
    ("bfcl_v3", f"You could call {W} to get the weather."),
    ("bfcl_v3", f"I would use `{W}` here, but I need the date first."),
    ("bfcl_v3", f"The function {W} returns the temperature in Celsius."),
    # --- give-ups quoting the failed call (omitted, not a retry)
    ("bfcl_v3", 'The call country_info.capital(country="Brazil") timed out. Please try again later.'),
    (
        "apibank",
        'It seems the request QueryBalance(token="abc") timed out. Could you provide your token again?',
    ),
    ("bfcl_v3", f"I tried {W} but the server did not respond. Please try again later."),
    ("bfcl_v3", f"Unfortunately `{W}` failed with a timeout, so I cannot answer right now."),
    # --- math
    ("bfcl_v3", "Given two points A(x1, y1) and B(x2, y2), the distance is sqrt((x2 - x1)^2 + (y2 - y1)^2)."),
    ("bfcl_v3", "x = (-b ± sqrt(b^2 - 4ac)) / 2a"),
    ("bfcl_v3", "sqrt(16)"),
    ("bfcl_v3", "Let the points be:\nA(1, 2)\nB(3, 4)"),
    ("bfcl_v3", "f(x) = x^2 + 3x, so f(2) = 10."),
    ("bfcl_v3", "log(1000) = 3"),
    # --- argument of another call, right of an assignment
    ("bfcl_v3", f"print({W})"),
    ("bfcl_v3", f"result = {W}\nprint(result)"),
    ("bfcl_v3", f"weather = {W}"),
    # --- example code: definitions, imports, request payloads, other languages
    (
        "bfcl_v3",
        "```python\ndef get_weather(city):\n    return requests.get(URL, params={'city': city}).json()\n\n"
        "get_weather(city='Paris')\n```",
    ),  # fmt: skip
    (
        "bfcl_v3",
        "```python\nimport requests\nrequests.get('https://api.example.com/weather', params={'city': 'Paris'})\n```",
    ),
    ("bfcl_v3", "```python\nimport numpy as np\nnp.dot(a, b)\n```"),
    ("bfcl_v3", "```python\nfrom weather import get_weather\nget_weather(city='Paris')\n```"),
    (
        "bfcl_v3",
        "def get_uv_index(location, date):\n    response = requests.get(url)\n    return response.json()",
    ),
    (
        "bfcl_v3",
        'import requests\nresponse = requests.post(url, json={"name": "get_weather", "arguments": {"city": "x"}})',
    ),
    (
        "bfcl_v3",
        '```python\npayload = {"name": "get_weather", "arguments": {"city": "Paris"}}\nrequests.post(url, json=payload)\n```',
    ),
    ("bfcl_v3", '```bash\ncurl -X POST https://api.example.com/get_weather -d \'{"city": "Paris"}\'\n```'),
    ("bfcl_v3", '```javascript\nconst r = await fetch("/weather?city=Paris");\n```'),
    ("bfcl_v3", '```javascript\nfetch("/weather")\n```'),
    # --- tool schemas echoed back
    (
        "bfcl_v3",
        '{"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", '
        '"properties": {"city": {"type": "string"}}}}',
    ),  # fmt: skip
    (
        "apibank",
        '<tool_call>\n{"name": "... ...", "parameters": {"... ...": "... ..."}}\n</tool_call>',
    ),  # a placeholder
    # --- builtins
    ("bfcl_v3", 'print("hello")'),
    ("bfcl_v3", "len(items)"),
]


@pytest.mark.parametrize("source, raw, names", MADE, ids=[f"made-{i}" for i in range(len(MADE))])
def test_calls_that_stand_as_an_answer_are_made(source, raw, names):
    assert [c.name for c in made_calls(raw, source)] == names
    assert made_call(raw, source)


@pytest.mark.parametrize("source, raw", MENTIONS, ids=[f"mention-{i}" for i in range(len(MENTIONS))])
def test_mentions_are_not_calls(source, raw):
    assert made_calls(raw, source) == []


def test_the_table_is_large_enough():
    assert len(MADE) + len(MENTIONS) >= 60
