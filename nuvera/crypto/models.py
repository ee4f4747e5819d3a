from __future__ import annotations

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.db import Base


class CryptoNetwork(Base):
    __tablename__ = "crypto_networks"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    native_asset: Mapped[str] = mapped_column(String(20))
    confirmations: Mapped[int] = mapped_column(Integer)
    address_format: Mapped[str] = mapped_column(String(200))


class CryptoAsset(Base):
    __tablename__ = "crypto_assets"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    decimals: Mapped[int] = mapped_column(Integer)
    networks: Mapped[list[str]] = mapped_column(JSON)
