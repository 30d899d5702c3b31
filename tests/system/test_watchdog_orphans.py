"""Functions that leave processes behind: the call ends when the function
exits (a background child that keeps its output open is given a moment,
then ended), and nothing a call started outlives it."""
import requests

from conftest import SLOW, pid_alive, wait_for


def test_a_background_child_holding_the_output_does_not_hold_the_call(watchdog):
    wd = watchdog({"fprocess": "sh -c 'echo hi; sleep 15 & exit 0'"})
    # Far below the child's 15 s: the call is over once the function is.
    r = requests.post(wd.url + "/", data=b"", timeout=8 * SLOW)
    assert r.status_code == 200 and r.text == "hi\n"
    assert "holds its output open" in wd.text()


def test_the_function_exiting_zero_is_a_success_even_with_exec_timeout(watchdog):
    wd = watchdog({"fprocess": "sh -c 'echo ok; sleep 30 & exit 0'", "exec_timeout": "3s"})
    r = requests.post(wd.url + "/", data=b"", timeout=8 * SLOW)
    assert r.status_code == 200 and r.text == "ok\n"


def test_background_processes_do_not_outlive_their_call(watchdog):
    wd = watchdog({"fprocess": "sh -c 'sleep 30 >/dev/null 2>&1 & echo $!'"})
    r = requests.post(wd.url + "/", data=b"", timeout=8 * SLOW)
    assert r.status_code == 200
    child = int(r.text)
    wait_for(lambda: not pid_alive(child), 5, what="the call's background process to end")


def test_the_grandchild_of_a_held_call_is_ended_too(watchdog):
    wd = watchdog({"fprocess": "sh -c 'sleep 20 & echo $!; exit 0'"})
    r = requests.post(wd.url + "/", data=b"", timeout=8 * SLOW)
    assert r.status_code == 200
    child = int(r.text)
    wait_for(lambda: not pid_alive(child), 5, what="the background sleep to end")
