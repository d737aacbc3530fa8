from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AssetKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSET_KIND_UNSPECIFIED: _ClassVar[AssetKind]
    ASSET_KIND_TEXTURE: _ClassVar[AssetKind]
    ASSET_KIND_SPRITE: _ClassVar[AssetKind]
    ASSET_KIND_PROP: _ClassVar[AssetKind]

class OutputFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTPUT_FORMAT_UNSPECIFIED: _ClassVar[OutputFormat]
    OUTPUT_FORMAT_PNG: _ClassVar[OutputFormat]
    OUTPUT_FORMAT_RGBA8: _ClassVar[OutputFormat]
    OUTPUT_FORMAT_DDS_BC1: _ClassVar[OutputFormat]
    OUTPUT_FORMAT_DDS_BC3: _ClassVar[OutputFormat]
    OUTPUT_FORMAT_DDS_BC7: _ClassVar[OutputFormat]

class MaterialMap(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATERIAL_MAP_UNSPECIFIED: _ClassVar[MaterialMap]
    MATERIAL_MAP_ALBEDO: _ClassVar[MaterialMap]
    MATERIAL_MAP_NORMAL: _ClassVar[MaterialMap]
    MATERIAL_MAP_HEIGHT: _ClassVar[MaterialMap]
    MATERIAL_MAP_ROUGHNESS: _ClassVar[MaterialMap]

class Priority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRIORITY_UNSPECIFIED: _ClassVar[Priority]
    PRIORITY_INTERACTIVE: _ClassVar[Priority]
    PRIORITY_BACKGROUND: _ClassVar[Priority]
ASSET_KIND_UNSPECIFIED: AssetKind
ASSET_KIND_TEXTURE: AssetKind
ASSET_KIND_SPRITE: AssetKind
ASSET_KIND_PROP: AssetKind
OUTPUT_FORMAT_UNSPECIFIED: OutputFormat
OUTPUT_FORMAT_PNG: OutputFormat
OUTPUT_FORMAT_RGBA8: OutputFormat
OUTPUT_FORMAT_DDS_BC1: OutputFormat
OUTPUT_FORMAT_DDS_BC3: OutputFormat
OUTPUT_FORMAT_DDS_BC7: OutputFormat
MATERIAL_MAP_UNSPECIFIED: MaterialMap
MATERIAL_MAP_ALBEDO: MaterialMap
MATERIAL_MAP_NORMAL: MaterialMap
MATERIAL_MAP_HEIGHT: MaterialMap
MATERIAL_MAP_ROUGHNESS: MaterialMap
PRIORITY_UNSPECIFIED: Priority
PRIORITY_INTERACTIVE: Priority
PRIORITY_BACKGROUND: Priority

class GenerateRequest(_message.Message):
    __slots__ = ("model", "kind", "prompt", "width", "height", "count", "seed", "format", "tileable", "priority", "maps", "vary", "interpolate")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    TILEABLE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    MAPS_FIELD_NUMBER: _ClassVar[int]
    VARY_FIELD_NUMBER: _ClassVar[int]
    INTERPOLATE_FIELD_NUMBER: _ClassVar[int]
    model: str
    kind: AssetKind
    prompt: str
    width: int
    height: int
    count: int
    seed: int
    format: OutputFormat
    tileable: bool
    priority: Priority
    maps: _containers.RepeatedScalarFieldContainer[MaterialMap]
    vary: Variation
    interpolate: Interpolation
    def __init__(self, model: _Optional[str] = ..., kind: _Optional[_Union[AssetKind, str]] = ..., prompt: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., count: _Optional[int] = ..., seed: _Optional[int] = ..., format: _Optional[_Union[OutputFormat, str]] = ..., tileable: _Optional[bool] = ..., priority: _Optional[_Union[Priority, str]] = ..., maps: _Optional[_Iterable[_Union[MaterialMap, str]]] = ..., vary: _Optional[_Union[Variation, _Mapping]] = ..., interpolate: _Optional[_Union[Interpolation, _Mapping]] = ...) -> None: ...

class Variation(_message.Message):
    __slots__ = ("seed", "strength")
    SEED_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    seed: int
    strength: float
    def __init__(self, seed: _Optional[int] = ..., strength: _Optional[float] = ...) -> None: ...

class Interpolation(_message.Message):
    __slots__ = ("seed_b", "t")
    SEED_B_FIELD_NUMBER: _ClassVar[int]
    T_FIELD_NUMBER: _ClassVar[int]
    seed_b: int
    t: float
    def __init__(self, seed_b: _Optional[int] = ..., t: _Optional[float] = ...) -> None: ...

class Asset(_message.Message):
    __slots__ = ("tag", "index", "seed", "kind", "width", "height", "format", "channels", "tileable", "model", "model_version", "sha256", "total_size", "offset", "data", "map", "vary", "interpolate", "pipeline")
    TAG_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    TILEABLE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    MAP_FIELD_NUMBER: _ClassVar[int]
    VARY_FIELD_NUMBER: _ClassVar[int]
    INTERPOLATE_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    tag: str
    index: int
    seed: int
    kind: AssetKind
    width: int
    height: int
    format: OutputFormat
    channels: int
    tileable: bool
    model: str
    model_version: str
    sha256: str
    total_size: int
    offset: int
    data: bytes
    map: MaterialMap
    vary: Variation
    interpolate: Interpolation
    pipeline: int
    def __init__(self, tag: _Optional[str] = ..., index: _Optional[int] = ..., seed: _Optional[int] = ..., kind: _Optional[_Union[AssetKind, str]] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., format: _Optional[_Union[OutputFormat, str]] = ..., channels: _Optional[int] = ..., tileable: _Optional[bool] = ..., model: _Optional[str] = ..., model_version: _Optional[str] = ..., sha256: _Optional[str] = ..., total_size: _Optional[int] = ..., offset: _Optional[int] = ..., data: _Optional[bytes] = ..., map: _Optional[_Union[MaterialMap, str]] = ..., vary: _Optional[_Union[Variation, _Mapping]] = ..., interpolate: _Optional[_Union[Interpolation, _Mapping]] = ..., pipeline: _Optional[int] = ...) -> None: ...

class SessionRequest(_message.Message):
    __slots__ = ("submit", "cancel")
    SUBMIT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    submit: Submit
    cancel: Cancel
    def __init__(self, submit: _Optional[_Union[Submit, _Mapping]] = ..., cancel: _Optional[_Union[Cancel, _Mapping]] = ...) -> None: ...

class Submit(_message.Message):
    __slots__ = ("tag", "request", "timeout_ms")
    TAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    tag: str
    request: GenerateRequest
    timeout_ms: int
    def __init__(self, tag: _Optional[str] = ..., request: _Optional[_Union[GenerateRequest, _Mapping]] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class Cancel(_message.Message):
    __slots__ = ("tag",)
    TAG_FIELD_NUMBER: _ClassVar[int]
    tag: str
    def __init__(self, tag: _Optional[str] = ...) -> None: ...

class SessionResponse(_message.Message):
    __slots__ = ("asset", "done", "error")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    asset: Asset
    done: TagDone
    error: TagError
    def __init__(self, asset: _Optional[_Union[Asset, _Mapping]] = ..., done: _Optional[_Union[TagDone, _Mapping]] = ..., error: _Optional[_Union[TagError, _Mapping]] = ...) -> None: ...

class TagDone(_message.Message):
    __slots__ = ("tag", "count")
    TAG_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    tag: str
    count: int
    def __init__(self, tag: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class TagError(_message.Message):
    __slots__ = ("tag", "code", "code_name", "message", "retry_after_ms")
    TAG_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    CODE_NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_MS_FIELD_NUMBER: _ClassVar[int]
    tag: str
    code: int
    code_name: str
    message: str
    retry_after_ms: int
    def __init__(self, tag: _Optional[str] = ..., code: _Optional[int] = ..., code_name: _Optional[str] = ..., message: _Optional[str] = ..., retry_after_ms: _Optional[int] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models", "default_model")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MODEL_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    default_model: str
    def __init__(self, models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ..., default_model: _Optional[str] = ...) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("name", "version", "is_default", "kinds", "formats", "limits", "license", "pipeline")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    FORMATS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    is_default: bool
    kinds: _containers.RepeatedCompositeFieldContainer[KindInfo]
    formats: _containers.RepeatedScalarFieldContainer[OutputFormat]
    limits: Limits
    license: str
    pipeline: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., is_default: _Optional[bool] = ..., kinds: _Optional[_Iterable[_Union[KindInfo, _Mapping]]] = ..., formats: _Optional[_Iterable[_Union[OutputFormat, str]]] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ..., license: _Optional[str] = ..., pipeline: _Optional[int] = ...) -> None: ...

class KindInfo(_message.Message):
    __slots__ = ("kind", "native_size", "sizes", "channels", "tileable")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NATIVE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SIZES_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    TILEABLE_FIELD_NUMBER: _ClassVar[int]
    kind: AssetKind
    native_size: int
    sizes: _containers.RepeatedScalarFieldContainer[int]
    channels: int
    tileable: bool
    def __init__(self, kind: _Optional[_Union[AssetKind, str]] = ..., native_size: _Optional[int] = ..., sizes: _Optional[_Iterable[int]] = ..., channels: _Optional[int] = ..., tileable: _Optional[bool] = ...) -> None: ...

class Limits(_message.Message):
    __slots__ = ("max_count", "max_prompt_chars", "max_batch", "chunk_size", "max_queued_images")
    MAX_COUNT_FIELD_NUMBER: _ClassVar[int]
    MAX_PROMPT_CHARS_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUED_IMAGES_FIELD_NUMBER: _ClassVar[int]
    max_count: int
    max_prompt_chars: int
    max_batch: int
    chunk_size: int
    max_queued_images: int
    def __init__(self, max_count: _Optional[int] = ..., max_prompt_chars: _Optional[int] = ..., max_batch: _Optional[int] = ..., chunk_size: _Optional[int] = ..., max_queued_images: _Optional[int] = ...) -> None: ...
