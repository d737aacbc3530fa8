"""Python clients for the assetgen service: blocking (AssetGenClient) and asyncio (AsyncAssetGenClient)."""
from .assets import Asset, ChunkAssembler, ChunkError, KindInfo, ModelInfo, SessionEvent, build_request
from .async_client import AsyncAssetGenClient, AsyncSession
from .sync_client import DEFAULT_ADDRESS, AssetGenClient, Session

__all__ = [
    "Asset", "AssetGenClient", "AsyncAssetGenClient", "AsyncSession", "ChunkAssembler", "ChunkError",
    "DEFAULT_ADDRESS", "KindInfo", "ModelInfo", "Session", "SessionEvent", "build_request",
]
