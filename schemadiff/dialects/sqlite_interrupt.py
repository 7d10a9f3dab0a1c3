"""SQLite: Ctrl-C during a migration interrupts the statement that runs."""

from __future__ import annotations

import signal
import socket
import sqlite3
import threading

import sqlalchemy as sa


def interrupt_statements_on_ctrl_c(engine: sa.Engine) -> None:
    """Ctrl-C interrupts the statement SQLite is running, which then fails with "interrupted".

    Python runs its own SIGINT handler only between bytecodes, so a long statement would ignore
    Ctrl-C until it ends. While a statement runs, a thread waits for the signal and calls the
    connection's interrupt(); the revision then fails, and is reported and rolled back, like
    any other failure. Between statements Ctrl-C does what it always does.
    """
    running: dict = {}

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _arm(conn, cursor, statement, parameters, context, executemany):
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            running[conn] = _Interrupter(conn.connection.dbapi_connection)

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn, *args):
        interrupter = running.pop(conn, None)
        if interrupter is not None and interrupter.stop():
            # Ctrl-C came as the statement was finishing: it still ends the revision.
            raise sqlite3.OperationalError("interrupted")

    @sa.event.listens_for(engine, "handle_error")
    def _disarm_on_error(context):
        interrupter = running.pop(context.connection, None)
        if interrupter is not None:
            interrupter.stop()


class _Interrupter:
    """Interrupts `connection` on SIGINT until stop(); the signal's wakeup byte reaches a thread
    even while the main thread is inside SQLite."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection, self.caught = connection, False
        self._read, self._write = socket.socketpair()  # what set_wakeup_fd takes everywhere
        self._write.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        self._previous_handler = signal.signal(signal.SIGINT, self._caught)
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _caught(self, signum, frame) -> None:
        self.caught = True  # instead of KeyboardInterrupt: the statement's error says it all

    def _watch(self) -> None:
        while data := self._read.recv(16):
            if signal.SIGINT in data:
                self.caught = True
                self.connection.interrupt()

    def stop(self) -> bool:
        """Back to how things were; whether Ctrl-C came meanwhile."""
        signal.set_wakeup_fd(self._previous_fd)
        signal.signal(signal.SIGINT, self._previous_handler)
        self._write.close()  # the thread reads the end of the stream and returns
        self._thread.join()
        self._read.close()
        return self.caught
