package topology

import "encoding/json"

// MarshalJSON renders a pipeline by node names, so that a DAG's JSON holds
// every node once.
func (p *Pipeline) MarshalJSON() ([]byte, error) {
	v := struct {
		Source     string
		Transforms []string `json:",omitempty"`
		Router     string
		Sink       string
	}{Source: p.Source.Name, Router: p.Router.Name, Sink: p.Sink.Name}
	for _, t := range p.Transforms {
		v.Transforms = append(v.Transforms, t.Name)
	}
	return json.Marshal(v)
}

// String renders the path as "source → transform → router → sink".
func (p *Pipeline) String() string {
	s := p.Source.Name
	for _, t := range p.Transforms {
		s += " → " + t.Name
	}
	return s + " → " + p.Router.Name + " → " + p.Sink.Name
}
