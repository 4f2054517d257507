"""Transports ("links"): one connection per job, each with a short timeout.

Our own small classes over ``socket``, pyserial and ``os`` rather than python-escpos's ``Network``/``Serial``/
``File``: those default to a 60 s socket timeout, set no serial write timeout (a printer holding flow control would
hang a worker forever), read status by waiting for 16 bytes (the full timeout on a serial line), hide
refused/timeout behind one ``DeviceNotFoundError``, and log through the root logger (which installs a root
handler). USB goes through python-escpos's ``Usb`` (it needs pyusb and libusb, not installed by default).
"""

from __future__ import annotations

import os
import select
import socket
from contextlib import suppress
from typing import Protocol

from hardware.printer.escpos_lib import escpos_modules, root_logger_kept
from hardware.printer.port import PrinterUnavailable


class Link(Protocol):
    can_query: bool

    def send(self, data: bytes) -> None: ...

    def query(self, command: bytes, wait: float | None = None) -> bytes: ...

    def close(self) -> None: ...


class SocketLink:
    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.can_query = True
        self.sock = socket.create_connection((host, port), timeout=timeout)
        # A small send buffer keeps "sent" close to "taken by the printer", so a stalled printer shows up as a
        # send timeout instead of megabytes vanishing into kernel buffers. Receipts are a few kilobytes.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def query(self, command: bytes, wait: float | None = None) -> bytes:
        self.sock.sendall(command)
        if wait is not None:
            self.sock.settimeout(wait)
        answer = self.sock.recv(1)
        if not answer:
            raise ConnectionResetError("the printer closed the connection")
        return answer

    def close(self) -> None:
        with suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class SerialLink:
    def __init__(self, port: str, baudrate: int, timeout: float, rtscts: bool, query: bool) -> None:
        import serial  # pyserial; kept out of module import so console/none need nothing

        self.can_query = query
        self.port = serial.Serial(port, baudrate=baudrate, timeout=timeout, write_timeout=timeout, rtscts=rtscts)

    def send(self, data: bytes) -> None:
        self.port.write(data)
        self.port.flush()

    def query(self, command: bytes, wait: float | None = None) -> bytes:
        self.port.reset_input_buffer()
        self.port.write(command)
        self.port.flush()
        if wait is not None:
            self.port.timeout = wait
        answer = self.port.read(1)
        if not answer:
            raise TimeoutError("no answer to a status query")
        return bytes(answer)

    def close(self) -> None:
        self.port.close()


class FileLink:
    can_query = False

    def __init__(self, path: str, timeout: float) -> None:
        self.timeout = timeout
        # Non-blocking, so a device file whose printer is off cannot hold the worker past the timeout.
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        poller = select.poll()
        poller.register(self.fd, select.POLLOUT)
        while view:
            if not poller.poll(self.timeout * 1000):
                raise TimeoutError("the device did not accept data")
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                continue

    def query(self, command: bytes, wait: float | None = None) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        os.close(self.fd)


class UsbLink:
    def __init__(self, vendor: int, product: int, timeout: float, in_ep: int, out_ep: int, profile: str) -> None:
        es = escpos_modules()
        if not es.Usb.is_usable():
            raise PrinterUnavailable(
                "USB printing needs the pyusb package and libusb, which are not installed; "
                "install pyusb, or connect the printer by network or serial"
            )
        self.can_query = True
        self.printer = es.Usb(vendor, product, timeout=int(timeout * 1000), in_ep=in_ep, out_ep=out_ep, profile=profile)
        with root_logger_kept():
            self.printer.open()

    def send(self, data: bytes) -> None:
        self.printer._raw(data)

    def query(self, command: bytes, wait: float | None = None) -> bytes:
        self.printer._raw(command)
        answer = bytes(self.printer._read())
        if not answer:
            raise TimeoutError("no answer to a status query")
        return answer[:1]

    def close(self) -> None:
        with root_logger_kept():
            self.printer.close()
