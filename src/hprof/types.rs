/// The basic types of HPROF field and array values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BasicType {
    Object,
    Boolean,
    Char,
    Float,
    Double,
    Byte,
    Short,
    Int,
    Long,
}

impl BasicType {
    /// Decodes a type byte; 1 (an old spelling of "array object") reads as
    /// [`BasicType::Object`].
    pub fn from_u8(tag: u8) -> Option<BasicType> {
        Some(match tag {
            1 | 2 => BasicType::Object,
            4 => BasicType::Boolean,
            5 => BasicType::Char,
            6 => BasicType::Float,
            7 => BasicType::Double,
            8 => BasicType::Byte,
            9 => BasicType::Short,
            10 => BasicType::Int,
            11 => BasicType::Long,
            _ => return None,
        })
    }

    /// Size of one value in the dump; objects take the identifier size.
    #[inline]
    pub fn size(self, id_size: u32) -> u32 {
        match self {
            BasicType::Object => id_size,
            BasicType::Boolean | BasicType::Byte => 1,
            BasicType::Char | BasicType::Short => 2,
            BasicType::Float | BasicType::Int => 4,
            BasicType::Double | BasicType::Long => 8,
        }
    }

    /// The Java name: `int`, `boolean`, ... (`Object` for references).
    pub fn java_name(self) -> &'static str {
        match self {
            BasicType::Object => "Object",
            BasicType::Boolean => "boolean",
            BasicType::Char => "char",
            BasicType::Float => "float",
            BasicType::Double => "double",
            BasicType::Byte => "byte",
            BasicType::Short => "short",
            BasicType::Int => "int",
            BasicType::Long => "long",
        }
    }

    /// The JVM descriptor letter of a primitive type (`I` for int).
    pub fn descriptor(self) -> char {
        match self {
            BasicType::Object => 'L',
            BasicType::Boolean => 'Z',
            BasicType::Char => 'C',
            BasicType::Float => 'F',
            BasicType::Double => 'D',
            BasicType::Byte => 'B',
            BasicType::Short => 'S',
            BasicType::Int => 'I',
            BasicType::Long => 'J',
        }
    }

    /// The primitive types, in a fixed order (index with [`BasicType::prim_index`]).
    pub const PRIMITIVES: [BasicType; 8] = [
        BasicType::Boolean,
        BasicType::Char,
        BasicType::Float,
        BasicType::Double,
        BasicType::Byte,
        BasicType::Short,
        BasicType::Int,
        BasicType::Long,
    ];

    /// Position in [`BasicType::PRIMITIVES`]; `None` for objects.
    pub fn prim_index(self) -> Option<usize> {
        BasicType::PRIMITIVES.iter().position(|&t| t == self)
    }
}

/// One decoded field or static value.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    Object(u64),
    Boolean(bool),
    Char(u16),
    Float(f32),
    Double(f64),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
}

impl Value {
    /// Decodes a value of type `ty` from the front of `bytes` (big-endian).
    /// `bytes` must hold at least `ty.size(id_size)` bytes.
    pub fn decode(ty: BasicType, bytes: &[u8], id_size: u32) -> Option<Value> {
        let n = ty.size(id_size) as usize;
        let b = bytes.get(..n)?;
        let mut raw = 0u64;
        for &x in b {
            raw = (raw << 8) | x as u64;
        }
        Some(match ty {
            BasicType::Object => Value::Object(raw),
            BasicType::Boolean => Value::Boolean(raw != 0),
            BasicType::Char => Value::Char(raw as u16),
            BasicType::Float => Value::Float(f32::from_bits(raw as u32)),
            BasicType::Double => Value::Double(f64::from_bits(raw)),
            BasicType::Byte => Value::Byte(raw as u8 as i8),
            BasicType::Short => Value::Short(raw as u16 as i16),
            BasicType::Int => Value::Int(raw as u32 as i32),
            BasicType::Long => Value::Long(raw as i64),
        })
    }

    pub fn as_object(self) -> Option<u64> {
        match self {
            Value::Object(id) => Some(id),
            _ => None,
        }
    }

    /// The value as an integer, for the integral types.
    pub fn as_i64(self) -> Option<i64> {
        Some(match self {
            Value::Boolean(b) => b as i64,
            Value::Char(c) => c as i64,
            Value::Byte(b) => b as i64,
            Value::Short(s) => s as i64,
            Value::Int(i) => i as i64,
            Value::Long(l) => l,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Value::Object(0) => f.write_str("null"),
            Value::Object(id) => write!(f, "{id:#x}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Char(c) => match char::from_u32(c as u32) {
                Some(ch) if !ch.is_control() => write!(f, "'{ch}'"),
                _ => write!(f, "'\\u{c:04x}'"),
            },
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Double(x) => write!(f, "{x:?}"),
            Value::Byte(x) => write!(f, "{x}"),
            Value::Short(x) => write!(f, "{x}"),
            Value::Int(x) => write!(f, "{x}"),
            Value::Long(x) => write!(f, "{x}"),
        }
    }
}
