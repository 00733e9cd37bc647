"""helpers.article_code: running an article's code as printed, one repair at a time."""

import pytest

from helpers import article_code
from helpers.article_code import fix, run_script


def test_a_script_that_runs_returns_its_namespace_and_no_error():
    namespace, error = run_script("y = x * 2\n", x=21)
    assert error is None and namespace["y"] == 42 and namespace["__name__"] == "__main__"


def test_an_error_keeps_its_type_and_names_the_scripts_line():
    _, error = run_script("a = 1\nb = np.zeros(3)\n", name="article.py")
    assert type(error) is NameError
    assert str(error) == "name 'np' is not defined\n  (raised at article.py, line 2: b = np.zeros(3))"


def test_keras_and_tensorflow_noise_is_cleaned_from_the_message():
    source = ("raise ValueError('bad \\x1b[1mshape\\x1b[0m {{function_node __inference_f_12}} here"
              "\\n\\nArguments received: x')")
    _, error = run_script(source)
    assert str(error).startswith("bad shape here\n  (raised at article.py, line 1")


def test_an_error_whose_type_takes_no_message_becomes_a_runtime_error():
    source = "class Odd(Exception):\n    def __init__(self):\n        super().__init__('odd')\nraise Odd()\n"
    _, error = run_script(source)
    assert type(error) is RuntimeError and str(error).startswith("Odd: odd\n  (raised at article.py, line 4")


def test_each_warning_is_printed_once(capsys, monkeypatch):
    monkeypatch.setattr(article_code, "SEEN_WARNINGS", set())
    source = "import warnings\nwarnings.warn('mind the gap', UserWarning)\n"
    run_script(source)
    run_script(source)
    assert capsys.readouterr().out == "UserWarning: mind the gap\n"


def test_fix_replaces_one_occurrence_and_prints_the_change(capsys):
    assert fix("a = 1\nb = 2\n", "b = 2", "b = 3") == "a = 1\nb = 3\n"
    assert capsys.readouterr().out == "- b = 2\n+ b = 3\n\n"
    with pytest.raises(ValueError, match="expected one occurrence of 'x' in the script, found 2"):
        fix("x x", "x", "y")


def test_tensorflow_code_runs_in_a_tensorflow_process_when_asked(capsys):
    error, where = article_code._run_in_tensorflow("import tensorflow as tf\nprint(tf.constant(3).numpy())\nnope\n",
                                                   "article.py")
    assert type(error) is NameError and where == "article.py, line 3: nope"
    assert capsys.readouterr().out.strip() == "3"
